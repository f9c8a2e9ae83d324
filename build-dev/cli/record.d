build-dev/cli/record.o: cli/record.c include/hwtrace/error.h core/host.h \
 include/hwtrace/plugin.h include/hwtrace/error.h core/format/records.h \
 core/options.h cli/cli.h exporters/exporter.h core/model.h
include/hwtrace/error.h:
core/host.h:
include/hwtrace/plugin.h:
include/hwtrace/error.h:
core/format/records.h:
core/options.h:
cli/cli.h:
exporters/exporter.h:
core/model.h:
