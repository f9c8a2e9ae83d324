build-dev/plugins/uprobe/uprobe_bpf.o: plugins/uprobe/uprobe_bpf.c \
 plugins/uprobe/uprobe_bpf.h plugins/uprobe/uprobe_bpf_sys.h \
 include/hwtrace/error.h core/util.h
plugins/uprobe/uprobe_bpf.h:
plugins/uprobe/uprobe_bpf_sys.h:
include/hwtrace/error.h:
core/util.h:
