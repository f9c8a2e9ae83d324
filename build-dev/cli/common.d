build-dev/cli/common.o: cli/common.c include/hwtrace/error.h \
 decoders/decode.h core/model.h core/format/records.h core/store.h \
 cli/cli.h exporters/exporter.h
include/hwtrace/error.h:
decoders/decode.h:
core/model.h:
core/format/records.h:
core/store.h:
cli/cli.h:
exporters/exporter.h:
