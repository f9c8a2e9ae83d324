build-dev/core/elffuncs.o: core/elffuncs.c core/elffuncs.h \
 /usr/include/capstone/capstone.h /usr/include/capstone/platform.h \
 /usr/include/capstone/arm.h /usr/include/capstone/arm64.h \
 /usr/include/capstone/m68k.h /usr/include/capstone/mips.h \
 /usr/include/capstone/ppc.h /usr/include/capstone/sparc.h \
 /usr/include/capstone/systemz.h /usr/include/capstone/x86.h \
 /usr/include/capstone/xcore.h /usr/include/capstone/tms320c64x.h \
 /usr/include/capstone/m680x.h /usr/include/capstone/evm.h \
 include/hwtrace/error.h core/util.h
core/elffuncs.h:
/usr/include/capstone/capstone.h:
/usr/include/capstone/platform.h:
/usr/include/capstone/arm.h:
/usr/include/capstone/arm64.h:
/usr/include/capstone/m68k.h:
/usr/include/capstone/mips.h:
/usr/include/capstone/ppc.h:
/usr/include/capstone/sparc.h:
/usr/include/capstone/systemz.h:
/usr/include/capstone/x86.h:
/usr/include/capstone/xcore.h:
/usr/include/capstone/tms320c64x.h:
/usr/include/capstone/m680x.h:
/usr/include/capstone/evm.h:
include/hwtrace/error.h:
core/util.h:
