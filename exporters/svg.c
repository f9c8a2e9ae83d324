/* SVG exporter: a self-contained interactive flamegraph (hover details, click to zoom, search)
 * of samples or slices merged by thread name and frame names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "agg_exporter.h"
#include "slices.h"
#include "builtin.h"
#include "funcdiff.h"

#define SVG_WIDTH    1200
#define SVG_PAD	     10
#define FRAME_HEIGHT 16
#define TOP_SPACE    40
#define BOTTOM_SPACE 30
#define CHAR_WIDTH   7.0
#define MIN_WIDTH    0.1 /* pixels: narrower frames (and their callees) are left out */

enum node_kind { KIND_USER, KIND_KERNEL, KIND_UNKNOWN, KIND_THREAD, KIND_ROOT };

/* A node of the merged tree: root, then thread names, then frames by name. */
struct fnode {
	uint32_t name; /* string id */
	uint32_t kind; /* enum node_kind */
	uint32_t depth;
	uint32_t first_child, next_sibling; /* 0: none (node 0 is the root, never a child) */
	uint64_t value, x;
	uint64_t base; /* a differential graph's: the value in recording A (value is B's) */
};

/* The flamegraph of one aggregation, built at the end of the export. */
struct svg {
	FILE *out;
	struct hwt_agg *agg;	   /* NULL for a differential graph */
	struct hwt_funcdiff *diff; /* a differential graph's names and stacks */
	const char *view, *unit;   /* what the widths are */
	struct fnode *nodes;
	uint32_t nnodes, cap;
	struct hwt_idmap children; /* (parent << 32 | name) -> node */
};

static int64_t child(struct svg *s, uint32_t parent, uint32_t name, uint32_t kind)
{
	int created;
	uint32_t *slot = hwt_idmap_put(&s->children, (uint64_t)parent << 32 | name, &created);

	if (!slot)
		return HWT_E_NOMEM;
	if (created) {
		if (HWT_ARRAY_GROW(s->nodes, &s->cap, s->nnodes + 1))
			return HWT_E_NOMEM;
		*slot = s->nnodes;
		s->nodes[s->nnodes] = (struct fnode){
			.name = name,
			.kind = kind,
			.depth = s->nodes[parent].depth + 1,
			.next_sibling = s->nodes[parent].first_child,
		};
		s->nodes[parent].first_child = s->nnodes++;
	}
	return *slot;
}

static const char *node_name(const struct svg *s, const struct hwt_model *m, const struct fnode *n)
{
	if (n->kind == KIND_ROOT)
		return "all";
	if (s->diff)
		return hwt_funcdiff_label_str(s->diff, n->name);
	return n->name ? hwt_model_str(m, n->name) : "[unknown]";
}

/* Writes @s as XML character data; invalid UTF-8 and control characters become U+FFFD. */
static void put_xml(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	while (left) {
		size_t n = 1;

		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			if (*p < 0x20) {
				fputs("\xef\xbf\xbd", f);
			} else if ((n = hwt_utf8_len(p, left))) {
				fwrite(p, 1, n, f);
			} else {
				n = 1;
				fputs("\xef\xbf\xbd", f);
			}
		}
		p += n;
		left -= n;
	}
}

/* The first @max characters of @s, with ".." when it was cut, as XML. */
static void put_label(FILE *f, const char *s, size_t max)
{
	size_t chars = 0, i = 0, len = strlen(s), cut = 0;
	char buf[512];

	while (i < len) {
		size_t n = hwt_utf8_len((const unsigned char *)s + i, len - i);

		i += n ? n : 1;
		if (++chars == (max > 2 ? max - 2 : 0))
			cut = i;
	}
	if (chars <= max) {
		put_xml(f, s);
		return;
	}
	if (cut > sizeof(buf) - 3)
		cut = sizeof(buf) - 3;
	memcpy(buf, s, cut);
	memcpy(buf + cut, "..", 3);
	put_xml(f, buf);
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* A differential graph's colour: red where B grew over A, blue where it shrank, the deeper the
 * more it changed (relative to the larger of the two); white where it did not. */
static void put_diff_color(FILE *f, const struct fnode *n)
{
	uint64_t hi = n->value > n->base ? n->value : n->base;
	double d = hi ? ((double)n->value - (double)n->base) / (double)hi : 0;
	unsigned pale = (unsigned)(255.0 * (1.0 - (d < 0 ? -d : d) * 0.85) + 0.5);

	if (d >= 0)
		fprintf(f, "rgb(255,%u,%u)", pale, pale);
	else
		fprintf(f, "rgb(%u,%u,255)", pale, pale);
}

static void put_color(const struct svg *s, FILE *f, const struct fnode *n, const char *name)
{
	uint32_t h = name_hash(name);

	if (s->diff) {
		put_diff_color(f, n);
		return;
	}
	unsigned a = h & 0xff, b = h >> 8 & 0xff, c = h >> 16 & 0xff;

	switch (n->kind) {
	case KIND_ROOT:
		fputs("rgb(190,190,190)", f);
		break;
	case KIND_THREAD:
		fprintf(f, "rgb(%u,%u,%u)", 150 + a % 40, 150 + b % 40, 210 + c % 40);
		break;
	case KIND_KERNEL:
		fprintf(f, "rgb(%u,%u,%u)", 90 + a % 50, 170 + b % 60, 110 + c % 50);
		break;
	case KIND_UNKNOWN:
		fprintf(f, "rgb(%u,%u,%u)", 160 + a % 30, 160 + a % 30, 160 + a % 30);
		break;
	default:
		/* Warm colours, stable per name so a function looks the same everywhere. */
		fprintf(f, "rgb(%u,%u,%u)", 215 + a % 40, 90 + b % 130, 40 + c % 50);
	}
}

static const char script[] =
	"var svg,W,P=10,det,mtx,unz,frames=[],zoomed=null,root=null;\n"
	"function init(evt){svg=document.documentElement;W=+svg.getAttribute('width');\n"
	" det=document.getElementById('details');mtx=document.getElementById('matched');\n"
	" unz=document.getElementById('unzoom');\n"
	" var gs=document.getElementsByClassName('f');\n"
	" for(var i=0;i<gs.length;i++){var g=gs[i],r=g.getElementsByTagName('rect')[0],\n"
	"  t=g.getElementsByTagName('title')[0].textContent;\n"
	"  g.fx=+r.getAttribute('x');g.fw=+r.getAttribute('width');g.fy=+r.getAttribute('y');\n"
	"  g.fill=r.getAttribute('fill');g.name=t.substring(0,t.lastIndexOf(' ('));\n"
	"  g.onmouseover=function(){det.textContent=this.getElementsByTagName('title')[0]"
	".textContent;};\n"
	"  g.onmouseout=function(){det.textContent=' ';};\n"
	"  g.onclick=function(){zoom(this);};\n"
	"  if(!root||g.fy>root.fy)root=g;frames.push(g);}\n"
	" window.addEventListener('keydown',function(e){\n"
	"  if((e.ctrlKey||e.metaKey)&&(e.key==='f'||e.key==='F')){e.preventDefault();search();}\n"
	"  else if(e.key==='Escape'){clearSearch();unzoom();}});}\n"
	"function place(g,x,w){var r=g.getElementsByTagName('rect')[0],"
	"t=g.getElementsByTagName('text')[0];\n"
	" r.setAttribute('x',x);r.setAttribute('width',w);t.setAttribute('x',x+3);\n"
	" var n=Math.floor((w-6)/7);\n"
	" t.textContent=n<3?'':(g.name.length<=n?g.name:g.name.substring(0,n-2)+'..');}\n"
	"function zoom(z){var s=(W-2*P)/z.fw,e=0.03;zoomed=z;unz.style.opacity=1;\n"
	" for(var i=0;i<frames.length;i++){var g=frames[i];\n"
	"  if(g.fy>=z.fy&&g.fx<=z.fx+e&&g.fx+g.fw>=z.fx+z.fw-e){g.style.display='';"
	"place(g,P,W-2*P);g.style.opacity=g===z?1:0.6;}\n"
	"  else if(g.fy<z.fy&&g.fx>=z.fx-e&&g.fx+g.fw<=z.fx+z.fw+e){g.style.display='';"
	"g.style.opacity=1;place(g,P+(g.fx-z.fx)*s,g.fw*s);}\n"
	"  else g.style.display='none';}}\n"
	"function unzoom(){zoomed=null;unz.style.opacity=0;\n"
	" for(var i=0;i<frames.length;i++){var g=frames[i];g.style.display='';g.style.opacity=1;"
	"place(g,g.fx,g.fw);}}\n"
	"function clearSearch(){mtx.textContent=' ';\n"
	" for(var i=0;i<frames.length;i++)frames[i].getElementsByTagName('rect')[0]"
	".setAttribute('fill',frames[i].fill);}\n"
	"function search(){var q=prompt('Search frames (regular expression):','');\n"
	" if(q===null)return;clearSearch();if(q==='')return;var re;\n"
	" try{re=new RegExp(q);}catch(err){alert(err);return;}\n"
	" var m=[];for(var i=0;i<frames.length;i++){var g=frames[i];\n"
	"  if(g!==root&&re.test(g.name)){g.getElementsByTagName('rect')[0]"
	".setAttribute('fill','rgb(230,0,230)');m.push([g.fx,g.fx+g.fw]);}}\n"
	" m.sort(function(a,b){return a[0]-b[0];});var sum=0,end=-1;\n"
	" for(var j=0;j<m.length;j++){if(m[j][0]>=end){sum+=m[j][1]-m[j][0];end=m[j][1];}\n"
	"  else if(m[j][1]>end){sum+=m[j][1]-end;end=m[j][1];}}\n"
	" mtx.textContent='Matched: '+(root?(100*sum/root.fw).toFixed(2):'0')+'%';}\n";

static int write_svg(struct svg *s, const struct hwt_model *m)
{
	FILE *f = s->out;
	const char *view = s->view, *unit = s->unit;
	char amount[HWT_DURATION_LEN + 64];
	uint32_t maxdepth = 0, i, height;
	uint64_t total = s->nodes[0].value;
	double scale;
	/* Explicit stack for the depth-first walk: a flamegraph can be deep. */
	uint32_t *stack = malloc(s->nnodes * sizeof(*stack)), sp = 0;

	if (!stack)
		return HWT_E_NOMEM;
	for (i = 0; i < s->nnodes; i++)
		if (s->nodes[i].depth > maxdepth)
			maxdepth = s->nodes[i].depth;
	height = TOP_SPACE + (maxdepth + 1) * FRAME_HEIGHT + BOTTOM_SPACE;
	scale = total ? (double)(SVG_WIDTH - 2 * SVG_PAD) / (double)total : 0;

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%u\" viewBox=\"0 0 %d %u\" onload=\"init(evt)\">\n"
		"<style>text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}"
		"g.f:hover rect{stroke:#000;stroke-width:0.5}g.f{cursor:pointer}"
		"#title{font-size:17px}</style>\n"
		"<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n"
		"<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f4\"/>\n"
		"<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">%s: ",
		SVG_WIDTH, height, SVG_WIDTH, height, script, SVG_WIDTH / 2,
		s->diff ? "Differential flame graph (widths: B; red: grew from A, blue: shrank)"
			: "Flame graph");
	put_xml(f, view);
	fputs(" (", f);
	put_xml(f, hwt_value_fmt(amount, sizeof(amount), total, unit));
	fprintf(f,
		")</text>\n"
		"<text id=\"unzoom\" x=\"%d\" y=\"24\" style=\"opacity:0;cursor:pointer\" "
		"onclick=\"unzoom()\">Reset Zoom</text>\n"
		"<text id=\"search\" x=\"%d\" y=\"24\" text-anchor=\"end\" "
		"style=\"cursor:pointer\" "
		"onclick=\"search()\">Search</text>\n"
		"<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
		"<text id=\"matched\" x=\"%d\" y=\"%u\" text-anchor=\"end\"> </text>\n",
		SVG_PAD, SVG_WIDTH - SVG_PAD, SVG_PAD, height - 10, SVG_WIDTH - SVG_PAD,
		height - 10);

	if (total)
		stack[sp++] = 0;
	while (sp) {
		struct fnode *n = &s->nodes[stack[--sp]];
		double x = SVG_PAD + (double)n->x * scale, w = (double)n->value * scale;
		double y = (double)(height - BOTTOM_SPACE - (n->depth + 1) * FRAME_HEIGHT);
		const char *name = node_name(s, m, n);
		uint64_t cx = n->x;
		uint32_t c;

		/* Children sit side by side from the parent's left edge. */
		for (c = n->first_child; c; c = s->nodes[c].next_sibling) {
			s->nodes[c].x = cx;
			cx += s->nodes[c].value;
			if ((double)s->nodes[c].value * scale >= MIN_WIDTH)
				stack[sp++] = c;
		}
		fputs("<g class=\"f\"><title>", f);
		put_xml(f, name);
		fprintf(f, " (%llu ", (unsigned long long)n->value);
		put_xml(f, unit);
		if (s->diff)
			fprintf(f, ", A %llu: %+.1f%%", (unsigned long long)n->base,
				n->base ? 100.0 * ((double)n->value - (double)n->base) /
						  (double)n->base
					: 100.0);
		/* Two decimals: zoom() tells callers and callees by these edges within 0.03 px,
		 * below half the narrowest frame drawn (MIN_WIDTH). */
		fprintf(f,
			", %.2f%%)</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" "
			"rx=\"2\" fill=\"",
			100.0 * (double)n->value / (double)total, x, y, w, FRAME_HEIGHT - 1);
		put_color(s, f, n, name);
		fprintf(f, "\"/><text x=\"%.1f\" y=\"%.0f\">", x + 3, y + 11.5);
		if (w >= 3 * CHAR_WIDTH + 6)
			put_label(f, name, (size_t)((w - 6) / CHAR_WIDTH));
		fputs("</text></g>\n", f);
	}
	fputs("</svg>\n", f);
	free(stack);
	return 0;
}

/* Orders every node's children by name, so the picture does not depend on input order. */
static int name_cmp(const void *a, const void *b, void *ctx)
{
	const void *const *c = ctx;
	const struct svg *s = c[0];
	const struct hwt_model *m = c[1];
	const struct fnode *x = &s->nodes[*(const uint32_t *)a],
			   *y = &s->nodes[*(const uint32_t *)b];

	return strcmp(node_name(s, m, x), node_name(s, m, y));
}

static int sort_children(struct svg *s, const struct hwt_model *m)
{
	uint32_t *kids = malloc(s->nnodes * sizeof(*kids)), i;
	const void *ctx[2] = { s, m };

	if (!kids)
		return HWT_E_NOMEM;
	for (i = 0; i < s->nnodes; i++) {
		uint32_t n = 0, c, k;

		for (c = s->nodes[i].first_child; c; c = s->nodes[c].next_sibling)
			kids[n++] = c;
		if (n < 2)
			continue;
		qsort_r(kids, n, sizeof(*kids), name_cmp, ctx);
		/* Children are laid out left to right in list order. */
		s->nodes[i].first_child = kids[0];
		for (k = 0; k + 1 < n; k++)
			s->nodes[kids[k]].next_sibling = kids[k + 1];
		s->nodes[kids[n - 1]].next_sibling = 0;
	}
	free(kids);
	return 0;
}

/* Adds the aggregated stacks to the tree under the root: thread name, then the frames. */
static int build_tree(struct svg *s, const struct hwt_model *m)
{
	uint32_t i, n = hwt_agg_count(s->agg), idx = hwt_agg_index(s->agg);

	for (i = 0; i < n; i++) {
		uint32_t comm, node, cur;
		const uint64_t *v;
		const uint32_t *frames;
		int depth, d;
		int64_t c;

		hwt_agg_entry(s->agg, i, &comm, &node, &v);
		if (!v[idx])
			continue;
		depth = hwt_agg_path(s->agg, m, node, &frames);
		if (depth < 0)
			return depth;
		s->nodes[0].value += v[idx];
		if ((c = child(s, 0, comm, KIND_THREAD)) < 0)
			return (int)c;
		cur = (uint32_t)c;
		s->nodes[cur].value += v[idx];
		for (d = 0; d < depth; d++) {
			const struct hwt_frame *f = hwt_model_frame(m, frames[d]);
			uint32_t kind = !f			      ? KIND_UNKNOWN
					: f->kind == HWT_FRAME_KERNEL ? KIND_KERNEL
					: f->kind == HWT_FRAME_USER   ? KIND_USER
								      : KIND_UNKNOWN;

			if ((c = child(s, cur, f ? f->name : HWT_NONE, kind)) < 0)
				return (int)c;
			cur = (uint32_t)c;
			s->nodes[cur].value += v[idx];
		}
	}
	return 0;
}

static int sv_write(FILE *out, struct hwt_agg *a, const struct hwt_model *m)
{
	struct svg s = { .out = out, .agg = a, .cap = 64, .nnodes = 1 };
	const char *vname;
	int rc;

	s.view = hwt_agg_view_name(a, m);
	hwt_agg_value_desc(a, m, hwt_agg_index(a), &vname, &s.unit);
	s.nodes = malloc(s.cap * sizeof(*s.nodes));
	if (!s.nodes)
		return HWT_E_NOMEM;
	s.nodes[0] = (struct fnode){ .kind = KIND_ROOT };
	if (!(rc = build_tree(&s, m)) && !(rc = sort_children(&s, m)))
		rc = write_svg(&s, m);
	free(s.nodes);
	hwt_idmap_fini(&s.children);
	return rc;
}

/* A differential graph's tree: each stack's text split at ';' (thread name, then frames), B's
 * value for the widths and A's beside it. */
static int build_diff_tree(struct svg *s)
{
	for (uint32_t i = 0; i < hwt_funcdiff_nstacks(s->diff); i++) {
		uint64_t v[2];
		const char *text = hwt_funcdiff_stack(s->diff, i, v), *p = text;
		uint32_t cur = 0;

		s->nodes[0].value += v[1];
		s->nodes[0].base += v[0];
		for (int level = 0; p; level++) {
			const char *semi = strchr(p, ';');
			size_t len = semi ? (size_t)(semi - p) : strlen(p);
			int64_t name = hwt_funcdiff_label(s->diff, p, len), c;
			uint32_t kind = !level					 ? KIND_THREAD
					: len == 8 && !strncmp(p, "[kernel]", 8) ? KIND_KERNEL
										 : KIND_USER;
			if (name < 0 || (c = child(s, cur, (uint32_t)name, kind)) < 0)
				return HWT_E_NOMEM;
			cur = (uint32_t)c;
			s->nodes[cur].value += v[1];
			s->nodes[cur].base += v[0];
			p = semi ? semi + 1 : NULL;
		}
	}
	return 0;
}

int hwt_svg_write_diff(FILE *out, struct hwt_funcdiff *d, const char *view, const char *unit)
{
	struct svg s = {
		.out = out, .diff = d, .view = view, .unit = unit, .cap = 64, .nnodes = 1
	};
	int rc;

	s.nodes = malloc(s.cap * sizeof(*s.nodes));
	if (!s.nodes)
		return HWT_E_NOMEM;
	s.nodes[0] = (struct fnode){ .kind = KIND_ROOT };
	if (!(rc = build_diff_tree(&s)) && !(rc = sort_children(&s, NULL)))
		rc = write_svg(&s, NULL);
	free(s.nodes);
	hwt_idmap_fini(&s.children);
	return rc;
}

static struct hwt_exporter *sv_create(const struct hwt_export_config *cfg,
				      const struct hwt_model *m, int *err, char *why, size_t whylen)
{
	return hwt_agg_exporter_create(&hwt_svg_exporter, sv_write, cfg, m, err, why, whylen);
}

const struct hwt_exporter_ops hwt_svg_exporter = {
	.abi = HWT_EXPORTER_ABI,
	.size = sizeof(struct hwt_exporter_ops),
	.name = "svg",
	.exts = ".svg",
	.summary = "interactive flamegraph SVG (any web browser)",
	.create = sv_create,
	.event = hwt_agg_exporter_event,
	.finish = hwt_agg_exporter_finish,
	.destroy = hwt_agg_exporter_destroy,
	.events = hwt_agg_exporter_events,
};
