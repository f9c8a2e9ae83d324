build-dev/cli/list.o: cli/list.c core/elffuncs.h core/events.h \
 core/target.h core/host.h include/hwtrace/plugin.h \
 include/hwtrace/error.h core/format/records.h cli/cli.h \
 exporters/exporter.h core/model.h
core/elffuncs.h:
core/events.h:
core/target.h:
core/host.h:
include/hwtrace/plugin.h:
include/hwtrace/error.h:
core/format/records.h:
cli/cli.h:
exporters/exporter.h:
core/model.h:
