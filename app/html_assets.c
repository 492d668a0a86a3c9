/* The HTML view's script and style (app/html_view.js, app/html_view.css),
 * built into trapsim so a page needs no file beside it: each as a
 * NUL-terminated string (app/app.mk makes this object depend on them). */
__asm__(".section .rodata\n"
        ".global html_view_js\n"
        ".type html_view_js, @object\n"
        "html_view_js:\n"
        ".incbin \"app/html_view.js\"\n"
        ".byte 0\n"
        ".global html_view_css\n"
        ".type html_view_css, @object\n"
        "html_view_css:\n"
        ".incbin \"app/html_view.css\"\n"
        ".byte 0\n"
        ".previous\n");
