build-dev/core/symfile.o: core/symfile.c core/symfile.h \
 include/hwtrace/error.h core/symbols.h core/model.h
core/symfile.h:
include/hwtrace/error.h:
core/symbols.h:
core/model.h:
