build-dev/core/symbols.o: core/symbols.c include/hwtrace/error.h \
 core/symbols.h core/model.h core/symfile.h
include/hwtrace/error.h:
core/symbols.h:
core/model.h:
core/symfile.h:
