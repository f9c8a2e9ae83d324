build-dev/cli/import.o: cli/import.c include/hwtrace/error.h \
 decoders/intel_pt/pt_import.h cli/cli.h exporters/exporter.h \
 core/model.h
include/hwtrace/error.h:
decoders/intel_pt/pt_import.h:
cli/cli.h:
exporters/exporter.h:
core/model.h:
