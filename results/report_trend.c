/*
 * report_trend.c - a metric's trend drawn by dygraphs (Debian's libjs-dygraphs, built into
 * leakbench and written beside the pages): a history of thousands of revisions needs zoom
 * and pan over the range (drag, shift-drag, the range selector under the chart), a tooltip
 * with the commit, its value and its change, y-axis ticks in the metric's units and a log
 * scale, which a static SVG of 5,000 circles could not give.  dygraphs is what asv-like
 * dashboards use for long series, small (131 KB), MIT-licensed and packaged by Debian; uPlot
 * would need the npm registry.  The page's data is JSON made by jansson with '/' and '<'
 * escaped, so a commit subject holding </script> or <!-- stays text; the drawing is ours: the noise band and
 * the changes of level under the line, flagged (red) and accepted (green) points over it, a
 * click opening the commit or, for a flagged point, what grew.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/text.h"
#include "results/report_int.h"


/* A figure in its unit, as text_metric writes it (kind: bytes, s, ratio, plain; per: the
 * unit of a slope's x): what both charts' axes and tooltips show. */
#define FMT_JS \
	"function fmtk(v,kind,per){if(v==null||isNaN(v))return '-';var s='';\n" \
	" if(kind=='bytes'){var u=['B','KiB','MiB','GiB','TiB'],a=Math.abs(v),i=0;while(a>=1024&&i<4){a/=1024;i++;}\n" \
	"  s=(v<0?'-':'')+(i?a.toFixed(a<10?2:a<100?1:0):a.toFixed(0))+' '+u[i];}\n" \
	" else if(kind=='s')s=v.toFixed(3)+' s';else if(kind=='ratio')s=v.toFixed(2)+'x';\n" \
	" else s=String(+v.toPrecision(4));return s+(per?'/'+per:'');}\n"

/* The chart's script: reads the JSON, draws, wires the log-scale switch; with #selftest in
 * the URL it zooms to the newest tenth and selects the last point through dygraphs' API and
 * writes what it then shows into #selftest (what a browser test reads). */
static const char trend_js[] =
	"(function(){\n" FMT_JS
	"var D=JSON.parse(document.getElementById('trend-data').textContent);\n"
	"var at={};D.points.forEach(function(p,i){at[p[0]]=i;});\n"
	"function fmt(v){return fmtk(v,D.kind,D.per);}\n"
	"function meta(x){var i=at[Math.round(x)];return i==null?null:D.meta[i];}\n"
	"var rows=D.points.map(function(p){return D.bars?[p[0],[p[2]==null?p[1]:p[2],p[1],p[3]==null?p[1]:p[3]]]:[p[0],p[1]];});\n"
	"var el=document.getElementById('trend');\n"
	"var g=new Dygraph(el,rows,{labels:['revision',D.metric],customBars:D.bars,drawPoints:true,pointSize:1.5,\n"
	" highlightCircleSize:5,showRangeSelector:true,rangeSelectorHeight:36,legend:'follow',colors:['#58a'],\n"
	" axes:{y:{valueFormatter:fmt,axisLabelFormatter:fmt,axisLabelWidth:90},\n"
	"  x:{axisLabelWidth:80,axisLabelFormatter:function(x){var i=at[x];return i==null?'':D.meta[i][1];},\n"
	"   valueFormatter:function(x){var m=meta(x);return m?m[0]:x;}}},\n"
	" legendFormatter:function(d){if(d.x==null)return '';var i=at[d.x],m=D.meta[i],p=D.points[i],prev=i>0?D.points[i-1][1]:null;\n"
	"  var e=function(t){var n=document.createElement('span');n.textContent=t;return n.innerHTML;};\n"
	"  var ch=prev?(' ('+((p[1]/prev-1)*100).toFixed(1)+'%)'):'';\n"
	"  return '<b>'+e(m[0])+'</b> '+e(m[1])+'<br>'+e(m[2])+'<br>'+e(fmt(p[1]))+e(ch)+(m[4]==1?' <b class=bad>flagged</b>':m[4]==2?' <b class=ok>accepted</b>':'');},\n"
	" underlayCallback:function(ctx,area,g){\n"
	"  if(D.band){var y0=g.toDomYCoord(D.band[1]),y1=g.toDomYCoord(D.band[0]);ctx.fillStyle='#e3eefc';ctx.fillRect(area.x,y0,area.w,y1-y0);}\n"
	"  ctx.strokeStyle='#c80';ctx.setLineDash([3,3]);D.cuts.forEach(function(c){var x=g.toDomXCoord(c[0]);ctx.beginPath();ctx.moveTo(x,area.y);ctx.lineTo(x,area.y+area.h);ctx.stroke();});ctx.setLineDash([]);},\n"
	" drawPointCallback:function(g,s,ctx,cx,cy,color,r,idx){var m=D.meta[idx];if(!m||!m[4]){Dygraph.Circles.DEFAULT(g,s,ctx,cx,cy,color,r);return;}\n"
	"  ctx.fillStyle=m[4]==1?'#c00':'#090';ctx.beginPath();ctx.arc(cx,cy,5,0,2*Math.PI);ctx.fill();},\n"
	" pointClickCallback:function(e,p){var m=meta(p.xval);if(m&&m[3])location.href=m[3];}});\n"
	"document.getElementById('log').addEventListener('change',function(e){g.updateOptions({logscale:e.target.checked});});\n"
	"if(location.hash=='#selftest'){var n=D.points.length,a=D.points[Math.floor(n*0.9)][0],b=D.points[n-1][0];\n"
	" g.updateOptions({dateWindow:[a,b]});g.setSelection(n-1);var l=el.querySelector('.dygraph-legend');\n"
	" document.getElementById('selftest').textContent=JSON.stringify({points:n,window:g.xAxisRange(),legend:l?l.textContent:''});}\n"
	"})();\n";

/* What the scripts call a metric's figures (text_metric_kind), and the unit of its x. */
static const char *kind_name(const char *metric, const char **per)
{
	static const char *const kinds[] = {[TEXT_PLAIN] = "plain", [TEXT_POWER] = "plain", [TEXT_RATIO] = "ratio",
					    [TEXT_BYTES] = "bytes", [TEXT_SECONDS] = "s"};
	return kinds[text_metric_kind(metric, per)];
}

/* The JSON into a <script type="application/json" id=ID>, '<' written as \u003c (JSON
 * allows it, and '<' occurs only inside strings): no subject can open a tag, a comment or
 * an escaped-script state inside the script element.  Figures keep 7 significant digits
 * (more than any label shows): half the bytes of a long history's page. */
static int data_script(FILE *f, const char *id, json_t *d, struct lb_error *err)
{
	char *text = d ? json_dumps(d, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_REAL_PRECISION(7)) : NULL;
	json_decref(d);
	if (!text)
		return lb_error_oom(err);
	fprintf(f, "<script id=\"%s\" type=\"application/json\">", id);
	for (const char *c = text; *c; c++)
		if (*c == '<')
			fputs("\\u003c", f);
		else
			fputc(*c, f);
	fputs("</script>\n", f);
	free(text);
	return 0;
}

/* A chart: the library's stylesheet, the page's elements (`html`), a hidden #selftest for
 * the browser tests, the data (its own reference taken), the library and the chart's script. */
static int dygraph_chart(FILE *f, const char *html, const char *data_id, json_t *d, const char *js,
			 struct lb_error *err)
{
	fputs("<link rel=\"stylesheet\" href=\"dygraph.min.css\">\n", f);
	fputs(html, f);
	fputs("<pre id=\"selftest\" hidden></pre>\n", f);
	int rc = data_script(f, data_id, d, err);
	if (rc)
		return rc;
	fputs("<script src=\"dygraph.min.js\"></script>\n<script>\n", f);
	fputs(js, f);
	fputs("</script>\n", f);
	return 0;
}

int report_trend_chart(FILE *f, const char *metric, const struct store_revision_row *revs, const struct pt *p, size_t np,
		       const double *cuts, const char *const *cut_labels, size_t n_cuts, double band_lo, double band_hi,
		       struct lb_error *err)
{
	const char *per;
	const char *kind = kind_name(metric, &per);
	int bars = 0;
	json_t *points = json_array(), *meta = json_array(), *cut = json_array();
	for (size_t i = 0; i < np; i++) {
		const struct pt *q = &p[i];
		size_t r = (size_t)q->x;
		bars |= isfinite(q->lo) && isfinite(q->hi);
		char sha[16], when[24];
		snprintf(sha, sizeof(sha), "%.12s", revs[r].sha);
		time_t at = (time_t)revs[r].author_time;
		strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&at));
		json_array_append_new(points, json_pack("[f, f, o, o]", q->x, q->y, isfinite(q->lo) ? json_real(q->lo) : json_null(),
							isfinite(q->hi) ? json_real(q->hi) : json_null()));
		json_array_append_new(meta, json_pack("[s, s, s, s, i]", sha, when, revs[r].subject, q->href, q->mark));
	}
	for (size_t i = 0; i < n_cuts; i++)
		json_array_append_new(cut, json_pack("[f, s]", cuts[i], cut_labels && cut_labels[i] ? cut_labels[i] : ""));
	json_t *d = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o}", "metric", metric, "kind", kind, "per", per ? per : "",
			      "bars", bars, "points", points, "meta", meta, "cuts", cut,
			      "band", isnan(band_lo) ? json_null() : json_pack("[f, f]", band_lo, band_hi));
	if (!d)
		return lb_error_oom(err);
	return dygraph_chart(f,
			     "<div id=\"trend\" style=\"width:960px;height:340px\"></div>\n"
			     "<p><label><input type=\"checkbox\" id=\"log\"> log scale</label></p>\n",
			     "trend-data", d, trend_js, err);
}

/* The overlay's script: every series divided by its first figure (so bytes, seconds and
 * counts share one axis as "times the first"), log scale, a checkbox per series; the
 * tooltip gives the commit and each shown series' own figure in its unit.  #selftest shows
 * every series, selects the newest revision and writes what the legend then says. */
static const char overlay_js[] =
	"(function(){\n" FMT_JS
	"var D=JSON.parse(document.getElementById('overlay-data').textContent);\n"
	"var base=D.series.map(function(s){for(var i=0;i<s.v.length;i++)if(s.v[i]!=null&&s.v[i]>0)return s.v[i];return null;});\n"
	"var rows=D.revs.map(function(r,i){return [i].concat(D.series.map(function(s,k){var v=s.v[i];return v==null||!base[k]?null:v/base[k];}));});\n"
	"var el=document.getElementById('overlay'),boxes=document.getElementById('series');\n"
	"var g=new Dygraph(el,rows,{labels:['revision'].concat(D.series.map(function(s){return s.name;})),\n"
	" visibility:D.series.map(function(s,k){return k<D.shown;}),connectSeparatedPoints:true,pointSize:1.5,\n"
	/* a dot per revision and metric only where they can be told apart: 5,000 revisions of
	 * eight metrics were 40,000 arcs a draw, most of the page's opening time */
	" drawPoints:D.revs.length<=1000,\n"
	" logscale:true,showRangeSelector:true,rangeSelectorHeight:36,legend:'follow',\n"
	" axes:{y:{valueFormatter:function(v){return v.toFixed(2)+'x';},axisLabelFormatter:function(v){return (+v.toPrecision(3))+'x';},axisLabelWidth:60},\n"
	"  x:{axisLabelWidth:90,axisLabelFormatter:function(x){var r=D.revs[x];return r?r[1]:'';}}},\n"
	" legendFormatter:function(d){if(d.x==null)return '';var r=D.revs[d.x];\n"
	"  var e=function(t){var n=document.createElement('span');n.textContent=t;return n.innerHTML;};\n"
	"  var out='<b>'+e(r[0])+'</b> '+e(r[1])+'<br>'+e(r[2]);\n"
	"  d.series.forEach(function(s,k){if(!s.isVisible)return;var S=D.series[k],v=S.v[d.x];\n"
	"   out+='<br><span style=\"color:'+s.color+'\">'+e(S.name)+'</span>: '+e(fmtk(v,S.kind,S.per))+(v!=null&&base[k]?e(' ('+(v/base[k]).toFixed(2)+'x)'):'');});\n"
	"  return out;}});\n"
	"D.series.forEach(function(s,k){var l=document.createElement('label'),b=document.createElement('input');b.type='checkbox';\n"
	" b.checked=k<D.shown;b.addEventListener('change',function(){g.setVisibility(k,b.checked);});l.appendChild(b);\n"
	" l.appendChild(document.createTextNode(' '+s.name+' '));boxes.appendChild(l);});\n"
	"if(location.hash=='#selftest'){g.updateOptions({visibility:D.series.map(function(){return true;})});g.setSelection(D.revs.length-1);\n"
	" var l=el.querySelector('.dygraph-legend');document.getElementById('selftest').textContent=\n"
	"  JSON.stringify({series:D.series.length,boxes:boxes.querySelectorAll('input').length,legend:l?l.textContent:''});}\n"
	"})();\n";

int report_overlay_chart(FILE *f, const struct store_revision_row *revs, size_t n, const char *const *metrics,
			 size_t n_metrics, const double *values, size_t shown, struct lb_error *err)
{
	json_t *rv = json_array(), *series = json_array();
	for (size_t i = 0; i < n; i++) {
		char sha[16], when[24];
		snprintf(sha, sizeof(sha), "%.12s", revs[i].sha);
		time_t at = (time_t)revs[i].author_time;
		strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&at));
		json_array_append_new(rv, json_pack("[s, s, s]", sha, when, revs[i].subject));
	}
	for (size_t m = 0; m < n_metrics; m++) {
		const char *per;
		const char *kind = kind_name(metrics[m], &per);
		json_t *v = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(v, isfinite(values[m * n + i]) ? json_real(values[m * n + i]) : json_null());
		json_array_append_new(series, json_pack("{s:s, s:s, s:s, s:o}", "name", metrics[m], "kind", kind, "per",
							per ? per : "", "v", v));
	}
	json_t *d = json_pack("{s:o, s:o, s:I}", "revs", rv, "series", series, "shown", (json_int_t)shown);
	return dygraph_chart(f, "<div id=\"overlay\" style=\"width:960px;height:380px\"></div>\n<p id=\"series\"></p>\n",
			     "overlay-data", d, overlay_js, err);
}
