"""JSON rendering that cannot fail on text a client sent back to us."""

from rest_framework.renderers import JSONRenderer


class SafeJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            # A lone surrogate from a request, echoed in an error message: escape it
            # rather than fail the whole response.
            fallback = JSONRenderer()
            fallback.ensure_ascii = True
            return fallback.render(data, accepted_media_type, renderer_context)
