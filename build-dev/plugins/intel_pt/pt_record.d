build-dev/plugins/intel_pt/pt_record.o: plugins/intel_pt/pt_record.c \
 include/hwtrace/plugin.h include/hwtrace/error.h core/elffuncs.h \
 include/hwtrace/error.h core/format/pt_format.h \
 plugins/intel_pt/pt_config.h
include/hwtrace/plugin.h:
include/hwtrace/error.h:
core/elffuncs.h:
include/hwtrace/error.h:
core/format/pt_format.h:
plugins/intel_pt/pt_config.h:
