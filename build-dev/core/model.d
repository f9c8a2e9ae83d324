build-dev/core/model.o: core/model.c include/hwtrace/error.h core/model.h \
 core/util.h
include/hwtrace/error.h:
core/model.h:
core/util.h:
