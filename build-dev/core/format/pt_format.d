build-dev/core/format/pt_format.o: core/format/pt_format.c \
 include/hwtrace/error.h core/format/pt_format.h
include/hwtrace/error.h:
core/format/pt_format.h:
