/* config_setters — the functions the directive table's rows name: each checks
 * a directive's values, says what is wrong with them, and stores them in
 * struct config; the clearers free what they stored. */
#ifndef SWITCHBOARD_CONFIG_SETTERS_H
#define SWITCHBOARD_CONFIG_SETTERS_H

#include "config_directive.h"

/* One value: a text (not empty, no control bytes) at the row's field. */
directive_setter config_set_text;
/* A text, but not the keyword the other log has: stderr, off. */
directive_setter config_set_access_log;
directive_setter config_set_error_log;
/* One value at the row's field: a positive duration, a count from 1 to the
 * row's max, on or off, a size. */
directive_setter config_set_duration;
directive_setter config_set_delay; /* a duration that may be 0 */
/* File permission bits in octal, "0660". */
directive_setter config_set_file_mode;
directive_setter config_set_count;
directive_setter config_set_bool;
directive_setter config_set_size;
/* A path the server answers itself ("/healthz"), or off. */
directive_setter config_set_route_path;
/* One of the row's choices, the names of its enum (stored in an int). */
directive_setter config_set_choice;
/* Lists: an address, index names, a header rule, an error page. */
directive_setter config_add_listen;
directive_setter config_set_index;
directive_setter config_add_header;
directive_setter config_add_error_page;
/* Networks ("10.0.0.0/8", "::1"), which replace the previous ones. */
directive_setter config_set_networks;
/* redirect FROM TO [STATUS] */
directive_setter config_add_redirect;
/* cors_origins ORIGIN... | *; cors_headers and cors_expose_headers NAME... | *:
 * each replaces the previous list. */
directive_setter config_set_cors_origins;
directive_setter config_set_cors_headers;
/* fallback PATH [extensionless | all], or off */
directive_setter config_set_fallback;
/* auth_basic PREFIX REALM USERFILE (the user file is read here) */
directive_setter config_add_auth_basic;

directive_clearer config_clear_text;
directive_clearer config_clear_listen;
directive_clearer config_clear_index;
directive_clearer config_clear_headers;
directive_clearer config_clear_error_pages;
directive_clearer config_clear_networks;
directive_clearer config_clear_redirects;
directive_clearer config_clear_cors_list;
directive_clearer config_clear_fallback;
directive_clearer config_clear_auth_basic;

#endif
