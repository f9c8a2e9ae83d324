build-dev/core/options.o: core/options.c core/options.h \
 include/hwtrace/plugin.h include/hwtrace/error.h include/hwtrace/error.h
core/options.h:
include/hwtrace/plugin.h:
include/hwtrace/error.h:
include/hwtrace/error.h:
