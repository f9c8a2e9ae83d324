build-dev/core/error.o: core/error.c include/hwtrace/error.h
include/hwtrace/error.h:
