// Progressive enhancement: show each <time> also in the reader's own time zone.
// The site works without it; the server already prints the site's and the source's zones.
document.addEventListener("DOMContentLoaded", function () {
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short"
  });
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when.getTime())) {
      el.title = el.textContent;
      el.textContent = fmt.format(when);
    }
  });
});
