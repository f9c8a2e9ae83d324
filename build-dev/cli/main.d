build-dev/cli/main.o: cli/main.c core/host.h include/hwtrace/plugin.h \
 include/hwtrace/error.h core/format/records.h cli/cli.h \
 exporters/exporter.h core/model.h
core/host.h:
include/hwtrace/plugin.h:
include/hwtrace/error.h:
core/format/records.h:
cli/cli.h:
exporters/exporter.h:
core/model.h:
