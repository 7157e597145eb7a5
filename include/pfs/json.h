/* Writing JSON. */
#ifndef PFS_JSON_H
#define PFS_JSON_H

#include <stdio.h>

/* Writes s as a JSON string (NULL as ""), escaping quotes, backslashes and controls. */
void pfs_json_str(FILE *f, const char *s);

#endif
