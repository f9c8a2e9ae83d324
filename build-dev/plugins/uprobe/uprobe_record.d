build-dev/plugins/uprobe/uprobe_record.o: plugins/uprobe/uprobe_record.c \
 include/hwtrace/plugin.h include/hwtrace/error.h core/util.h \
 plugins/uprobe/uprobe_bpf.h core/elffuncs.h include/hwtrace/error.h \
 core/format/uprobe_format.h
include/hwtrace/plugin.h:
include/hwtrace/error.h:
core/util.h:
plugins/uprobe/uprobe_bpf.h:
core/elffuncs.h:
include/hwtrace/error.h:
core/format/uprobe_format.h:
