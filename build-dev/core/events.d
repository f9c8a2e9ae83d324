build-dev/core/events.o: core/events.c core/events.h \
 include/hwtrace/error.h
core/events.h:
include/hwtrace/error.h:
