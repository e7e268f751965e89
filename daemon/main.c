#include <stdio.h>
int main(void) { puts("evhttpd"); return 0; }
