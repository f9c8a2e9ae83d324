build-dev/core/store.o: core/store.c core/store.h include/hwtrace/error.h
core/store.h:
include/hwtrace/error.h:
