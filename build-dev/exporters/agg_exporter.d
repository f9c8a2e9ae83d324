build-dev/exporters/agg_exporter.o: exporters/agg_exporter.c \
 include/hwtrace/error.h exporters/agg_exporter.h exporters/aggregate.h \
 core/model.h core/util.h exporters/exporter.h
include/hwtrace/error.h:
exporters/agg_exporter.h:
exporters/aggregate.h:
core/model.h:
core/util.h:
exporters/exporter.h:
