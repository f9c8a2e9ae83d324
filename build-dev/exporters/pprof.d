build-dev/exporters/pprof.o: exporters/pprof.c include/hwtrace/error.h \
 exporters/pbuf.h exporters/agg_exporter.h exporters/aggregate.h \
 core/model.h core/util.h exporters/exporter.h exporters/builtin.h
include/hwtrace/error.h:
exporters/pbuf.h:
exporters/agg_exporter.h:
exporters/aggregate.h:
core/model.h:
core/util.h:
exporters/exporter.h:
exporters/builtin.h:
