build-dev/core/format/value.o: core/format/value.c \
 include/hwtrace/error.h core/format/value.h
include/hwtrace/error.h:
core/format/value.h:
