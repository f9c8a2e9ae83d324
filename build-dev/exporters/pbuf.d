build-dev/exporters/pbuf.o: exporters/pbuf.c include/hwtrace/error.h \
 exporters/pbuf.h
include/hwtrace/error.h:
exporters/pbuf.h:
