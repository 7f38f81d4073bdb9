// The files report.html is made of, embedded at build time by
// report/embed_assets.cmake: the page's template, style and script from this
// folder, and uPlot (its minified script, style and license) from
// report/node_modules, installed by `npm ci` at the version package.json pins.
#ifndef CT_REPORT_REPORT_ASSETS_H_
#define CT_REPORT_REPORT_ASSETS_H_

#include <string_view>

namespace ctmr::report_assets {

extern const std::string_view kPageHtml;  // report/page.html, with @@NAME@@ slots
extern const std::string_view kPageCss;   // report/page.css
extern const std::string_view kPageJs;    // report/page.js
extern const std::string_view kUplotJs;   // uplot/dist/uPlot.iife.min.js
extern const std::string_view kUplotCss;  // uplot/dist/uPlot.min.css
extern const std::string_view kUplotLicense;
extern const std::string_view kUplotVersion;

}  // namespace ctmr::report_assets

#endif  // CT_REPORT_REPORT_ASSETS_H_
