build-dev/core/target.o: core/target.c core/target.h \
 include/hwtrace/error.h
core/target.h:
include/hwtrace/error.h:
