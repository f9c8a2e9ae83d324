build-dev/cli/export.o: cli/export.c cli/cli.h exporters/exporter.h \
 core/model.h
cli/cli.h:
exporters/exporter.h:
core/model.h:
