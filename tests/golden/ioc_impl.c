/* The corpus interpreter, compiled into the golden suite: the Makefile builds
 * only the .c files of tests/golden into it, and the interpreter lives with
 * the oracle runner in tools/oracle. */
#include "tools/oracle/ioc.c"
