"""Assembly: the app factory, its settings, the plugins it finds and the
typed wiring each initialization step makes; the server runner."""
