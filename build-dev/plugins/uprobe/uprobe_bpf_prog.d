build-dev/plugins/uprobe/uprobe_bpf_prog.o: \
 plugins/uprobe/uprobe_bpf_prog.c plugins/uprobe/uprobe_bpf.h \
 plugins/uprobe/uprobe_bpf_sys.h
plugins/uprobe/uprobe_bpf.h:
plugins/uprobe/uprobe_bpf_sys.h:
