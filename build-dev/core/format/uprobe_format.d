build-dev/core/format/uprobe_format.o: core/format/uprobe_format.c \
 core/util.h include/hwtrace/error.h core/format/uprobe_format.h
core/util.h:
include/hwtrace/error.h:
core/format/uprobe_format.h:
