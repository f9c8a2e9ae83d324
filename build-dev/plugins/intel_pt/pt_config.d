build-dev/plugins/intel_pt/pt_config.o: plugins/intel_pt/pt_config.c \
 plugins/intel_pt/pt_config.h core/format/pt_format.h \
 include/hwtrace/plugin.h include/hwtrace/error.h core/util.h \
 include/hwtrace/error.h
plugins/intel_pt/pt_config.h:
core/format/pt_format.h:
include/hwtrace/plugin.h:
include/hwtrace/error.h:
core/util.h:
include/hwtrace/error.h:
