// Linux x86_64 flag bits the state machine tests (the field layer renders them by name).
export const O_DIRECTORY = 0o200000
export const O_CLOEXEC_BIT = 0o2000000
export const CLONE_THREAD = 0x10000
