build-dev/plugins/plugin_table.o: plugins/plugin_table.c core/host.h \
 include/hwtrace/plugin.h include/hwtrace/error.h core/format/records.h
core/host.h:
include/hwtrace/plugin.h:
include/hwtrace/error.h:
core/format/records.h:
