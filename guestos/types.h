// Basic types of the guest kernel and its user programs (x86-32).
#ifndef GUESTOS_TYPES_H
#define GUESTOS_TYPES_H
typedef unsigned int   uint;
typedef unsigned short ushort;
typedef unsigned char  uchar;
#endif
