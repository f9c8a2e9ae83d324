build-dev/decoders/unwind.o: decoders/unwind.c core/util.h \
 include/hwtrace/error.h decoders/unwind.h core/format/records.h \
 core/symbols.h core/model.h
core/util.h:
include/hwtrace/error.h:
decoders/unwind.h:
core/format/records.h:
core/symbols.h:
core/model.h:
