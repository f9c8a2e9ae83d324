build-dev/core/format/custom_format.o: core/format/custom_format.c \
 include/hwtrace/error.h core/format/custom_format.h
include/hwtrace/error.h:
core/format/custom_format.h:
