build-dev/cli/inspect.o: cli/inspect.c include/hwtrace/error.h \
 exporters/slices.h core/model.h decoders/decode.h core/format/records.h \
 core/store.h cli/cli.h exporters/exporter.h
include/hwtrace/error.h:
exporters/slices.h:
core/model.h:
decoders/decode.h:
core/format/records.h:
core/store.h:
cli/cli.h:
exporters/exporter.h:
