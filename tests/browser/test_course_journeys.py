"""The courses journey as the demo users take it: the trainer authors and publishes a short course, the registrar
enrols the learner, the learner completes it (resuming after leaving), the trainer reads the progress report."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_core_journeys import sign_in, sign_out


def test_author_enrol_learn_report(page: Page, live_server, screenshots):
    base = live_server["url"]
    # The trainer authors a short course.
    sign_in(page, live_server, "trainer")
    page.goto(base + "/teach/new")
    page.fill("#title", "Prepoznavanje rizika na internetu")
    page.fill("#slug", "prepoznavanje-rizika")
    page.fill("#summary", "Kratak kurs za nastavnike i stručne saradnike.")
    page.select_option("#language", "bs")
    page.check("input[name=professions][value=teacher]")
    page.check("input[name=professions][value=police_officer]")
    page.fill("#estimated_hours", "1.5")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/teach/\d+/outline$"))
    page.fill("#title", "Znakovi upozorenja")
    page.get_by_role("button", name="Add the module").click()
    page.get_by_role("link", name="Add a lesson").click()
    page.fill("#title", "Šta primijetiti")
    page.fill(
        "#body_markdown",
        "## Promjene u ponašanju\n\nDijete se povlači, **izbjegava** razgovor.\n\n"
        "## Further reading\n\n- Lanzarote Convention",
    )
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Preview as a learner").click()
    expect(page.locator("article h2").first).to_have_text("Promjene u ponašanju")
    page.screenshot(path=str(screenshots / "courses-preview.png"), full_page=True)
    page.get_by_role("link", name="Back to editing").click()
    page.get_by_role("link", name=re.compile("Prepoznavanje rizika")).first.click()
    page.get_by_role("link", name="Add a lesson").click()
    page.fill("#title", "Razgovor s djetetom")
    page.fill("#body_markdown", "Slušajte mirno i ne obećavajte tajnost.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name=re.compile("Prepoznavanje rizika")).first.click()
    page.get_by_role("button", name="Publish the current draft").click()
    expect(page.locator(".flash-success")).to_contain_text("Version 1 is published")
    course_admin = page.url.replace("/outline", "")
    sign_out(page)

    # The registrar enrols the learner.
    sign_in(page, live_server, "registrar")
    page.goto(course_admin + "/enrolments")
    page.fill("#users-people", "learner@demo.example")
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("1 enrolled")
    sign_out(page)

    # The learner finds it on the dashboard, starts, leaves, resumes and completes.
    sign_in(page, live_server, "learner")
    page.get_by_role("link", name="Prepoznavanje rizika na internetu").click()
    expect(page.locator("h1")).to_have_text("Šta primijetiti")
    page.screenshot(path=str(screenshots / "courses-lesson.png"), full_page=True)
    page.get_by_role("button", name="Mark as complete and continue").click()
    expect(page.locator("h1")).to_have_text("Razgovor s djetetom")
    page.goto(base + "/dashboard")
    page.get_by_role("link", name="Prepoznavanje rizika na internetu").click()  # resume
    expect(page.locator("h1")).to_have_text("Razgovor s djetetom")
    page.get_by_role("button", name="Mark as complete and continue").click()
    expect(page.locator(".flashes .flash-success")).to_contain_text("You have completed the course")
    sign_out(page)

    # The trainer reads the report.
    sign_in(page, live_server, "trainer")
    page.goto(course_admin + "/report")
    row = page.locator("tbody tr", has_text="Đorđe Čolić")
    expect(row).to_contain_text("completed")
    expect(row).to_contain_text("100")
    page.screenshot(path=str(screenshots / "courses-report.png"), full_page=True)
