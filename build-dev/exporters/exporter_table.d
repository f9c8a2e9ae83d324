build-dev/exporters/exporter_table.o: exporters/exporter_table.c \
 include/hwtrace/error.h exporters/exporter.h core/model.h \
 exporters/builtin.h
include/hwtrace/error.h:
exporters/exporter.h:
core/model.h:
exporters/builtin.h:
