build-dev/core/util.o: core/util.c include/hwtrace/error.h core/util.h
include/hwtrace/error.h:
core/util.h:
