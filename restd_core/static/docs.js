// The /docs page: Swagger UI over the server's own /openapi.json. URLs are
// relative to /docs, so the page also works under a path prefix; no
// validator badge (it would call an outside service).
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
