// Linux x86_64 flag bits the state machine tests (the field layer renders them by name).
export const O_DIRECTORY = 0o200000
export const O_CLOEXEC_BIT = 0o2000000
export const CLONE_THREAD = 0x10000
export const O_RDWR = 0o2
/** memfd_create(2) flag: the memfd is opened O_CLOEXEC */
export const MFD_CLOEXEC = 0x1
