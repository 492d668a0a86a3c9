# app/: what the commands do (a run session, raw mode, scenarios); trapsim.c
# is only the command line.
SIM_SRCS += $(wildcard app/*.c)
# the HTML view's script and style are built into html_assets.o (.incbin)
$(BUILD)/obj/app/html_assets.o: app/html_view.js app/html_view.css
