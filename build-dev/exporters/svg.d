build-dev/exporters/svg.o: exporters/svg.c include/hwtrace/error.h \
 exporters/agg_exporter.h exporters/aggregate.h core/model.h core/util.h \
 exporters/exporter.h exporters/builtin.h
include/hwtrace/error.h:
exporters/agg_exporter.h:
exporters/aggregate.h:
core/model.h:
core/util.h:
exporters/exporter.h:
exporters/builtin.h:
