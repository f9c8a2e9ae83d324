build-dev/cli/report.o: cli/report.c exporters/aggregate.h core/model.h \
 core/util.h include/hwtrace/error.h exporters/slices.h decoders/decode.h \
 core/format/records.h core/store.h cli/cli.h exporters/exporter.h
exporters/aggregate.h:
core/model.h:
core/util.h:
include/hwtrace/error.h:
exporters/slices.h:
decoders/decode.h:
core/format/records.h:
core/store.h:
cli/cli.h:
exporters/exporter.h:
