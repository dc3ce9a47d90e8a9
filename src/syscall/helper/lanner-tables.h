/* Declarations for lanner-tables.c (kind names, syscall table, --abi printer). */
#ifndef LANNER_TABLES_H
#define LANNER_TABLES_H
#include <stddef.h>
#include "lanner-probe.h"

struct sc_map { long nr; int kind; };

extern const char *const KIND_NAMES[LN_K__MAX];
extern const struct sc_map SYSCALLS[];
extern const size_t N_SYSCALLS;
void print_abi(void);

#endif
