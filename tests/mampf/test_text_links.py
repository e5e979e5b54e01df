"""``link_paths`` turns site paths in a plain message into links, and nothing else."""

from django.template import Context, Template
from django.utils.safestring import mark_safe

from mampf.templatetags.text_links import link_paths


def test_a_site_path_becomes_a_link_and_the_rest_is_escaped():
    html = link_paths("“A&B” is not certified yet; certify it at /lectures/7/certification/.")
    assert html == (
        "“A&amp;B” is not certified yet; certify it at "
        '<a href="/lectures/7/certification/">/lectures/7/certification/</a>.'
    )


def test_no_path_no_link_and_no_markup_from_the_text():
    assert link_paths('<script>alert("x")</script> 1/2 and a/b/') == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 1/2 and a/b/"
    )


def test_html_a_view_built_stays_as_it_is():
    built = mark_safe('Saved. <a href="/x/">Back</a>')
    assert link_paths(built) is built


def test_the_filter_in_a_template():
    rendered = Template("{% load text_links %}{{ text|link_paths }}").render(
        Context({"text": "see /lectures/1/certification/"})
    )
    assert rendered == 'see <a href="/lectures/1/certification/">/lectures/1/certification/</a>'
