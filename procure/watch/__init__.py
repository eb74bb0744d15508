"""Territorial watch of published notices (issue 24): which tenders of a territory carry a social consideration,
which should (L2112-2-1), and where local inclusive structures could answer.

`notices` lists the notices of files and folders (eForms XML, BOAMP open-data exports, PDF notices), `assess`
reads each into a `WatchedNotice`, `store` keeps them in the database (a re-run reads only new notices, a change
or cancellation notice updates the notice it modifies), `report` turns them into tables and exports.
"""
