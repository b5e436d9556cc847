# Консоль Cordon — русский (эталон — английский: в каждом другом языке ровно эти ключи).

## Навигация и рамка
nav-inbox = Входящие
nav-compose = Создать
nav-sent = Отправленные
nav-ocu = Группа координации
nav-overview = Обзор
nav-status = Состояние
nav-officers = Сотрудники
nav-logout = Выйти
settings-language = Язык
settings-language-browser = Язык браузера
settings-save = Сохранить
yes = Да
no = Нет

## Вход
login-title = Вход
login-name = Имя
login-password = Пароль
login-submit = Войти
login-failed = Неверное имя или пароль.
login-wait = Слишком много неудачных попыток. Повторите через { $n } с.

## Ошибки
error-title = Ошибка
error-csrf = Срок действия этой формы истёк, или она отправлена не из этой консоли. Перезагрузите страницу и повторите попытку.
error-forbidden = Ваша роль не даёт доступа к этой странице.
error-not-found = Не найдено.
error-internal = Узел не смог выполнить это действие. Причину администратор найдёт в журнале узла.
error-too-large = Форма слишком велика (размер вложений ограничен).

## Столбцы
col-priority = Приоритет
col-kind = Тип
col-title = Заголовок
col-sender = Отправитель
col-operation = Операция
col-received = Получено
col-created = Создано
col-state = Состояние
col-acknowledged = Получение подтверждено
col-delivered = Доставлено
col-read = Прочитано
col-recipient = Получатель
col-participant = Участник

## Входящие
inbox-search = Контейнер, судно, отправитель или текст
inbox-all-operations = Все операции
inbox-all-kinds = Все типы
inbox-all-priorities = Все приоритеты
inbox-unread = Непрочитанные
inbox-unacked = Без подтверждения получения
inbox-from = С
inbox-to = По
inbox-filter = Применить фильтр
inbox-clear = Сбросить
inbox-flash = Сообщения «Молния» без подтверждения получения
inbox-new = Поступили новые сообщения.
inbox-empty = Сообщений нет.
inbox-count = Показано { $shown } из { $total }
inbox-more = Ещё { $count }
inbox-older = Более ранние сообщения

## Сообщение
msg-attachments = Вложения
msg-not-sealed = Не зашифровано для (присоединились позже или не имели ключа)
msg-in-reply-to = В ответ на
msg-timeline = Обновления по отслеживанию
msg-acknowledged = Получение подтверждено
msg-ack = Подтвердить получение
msg-reply = Ответить
msg-feedback = Обратная связь
msg-seizure = Сообщение об изъятии
msg-tracking-update = Обновление по отслеживанию
msg-to = Кому
msg-receipts = Квитанции

## Создание сообщения
compose-title = Новое сообщение: { $kind }
compose-errors = { $count ->
    [one] { $count } поле требует исправления.
    [few] { $count } поля требуют исправления.
    [many] { $count } полей требуют исправления.
   *[other] { $count } поля требуют исправления.
}
compose-reply-to = Ответ на
compose-to = Канал
compose-no-channels = Этот узел не может отправлять сообщения этого типа ни по одному каналу.
compose-tlp = Маркировка (TLP)
compose-grading-help = Что означают оценки
compose-attach-limit = Файлов — не более { $count }, общим объёмом не более { $max }.
compose-send = Отправить

## Правила
rule-required = Обязательное поле.
rule-too-long = Не более { $max } символов.
rule-too-many = Не более { $max } записей.
rule-duplicate = Одна и та же запись указана дважды.
rule-control = Содержит управляющий символ.
rule-container-format = Это не номер контейнера: 4 буквы (4-я — U, J или Z), 6 цифр и контрольная цифра, например CSQU3054383.
rule-container-check = Неверная контрольная цифра: должна быть { $expected }.
rule-imo-format = Это не номер ИМО: 7 цифр, например IMO 9074729.
rule-imo-check = Неверная контрольная цифра номера ИМО: должна быть { $expected }.
rule-locode = Это не код UN/LOCODE: код страны и 3 символа, например BEANR.
rule-hs = Это не код ГС: 4, 6, 8 или 10 цифр, например 8471.30.
rule-country = Это не код страны: 2 буквы, например BE.
rule-quantity = Число больше нуля.
rule-grade = Оценка от 1 до 6.
rule-date = Дата, например 2026-12-31 или 2026-12-31T14:30 (UTC).
rule-choice = Выберите значение из списка.
rule-reference = Это не идентификатор сообщения.
rule-mode-needed = Выберите вид транспорта.
rule-attachment = Не удалось прочитать вложение; выберите файлы ещё раз.
rule-attachments-size = Общий размер вложений — не более { $max } байт.
rule-other = { $detail }

## Отправленные
sent-empty = Пока ничего не отправлено.
sent-waiting = В ожидании
sent-not-read = Не прочитано ({ $count })

## Группа координации (OCU)
ocu-notice = Уведомление участникам операции
ocu-tasking = Составить задание
ocu-grid = Кто что получил
ocu-empty = Уведомления и задания ещё не отправлялись.
ocu-due = Ответить до

## Обзор
overview-per-kind = Сообщения по типам во времени
overview-per-country = Сообщения по странам-отправителям
overview-seizures-hs = Изъятия по группам ГС
overview-seizures-country = Изъятия по странам
overview-csv-messages = Сообщения (CSV)
overview-csv-seizures = Изъятия (CSV)

## Состояние
status-node = Узел
status-link = Связь с центральным узлом
status-last-error = Последняя ошибка
status-certificate-refused = Сертификат отклонён
status-hub = Центральный узел
status-outbox = Исходящие (ещё не сохранены центральным узлом)
status-inbox = Входящие
status-last-sync = Последний обмен с центральным узлом
status-subscribed = Получаемые каналы
status-sessions = Сеансы консоли

## Сотрудники
officers-hint = Сотрудники добавляются, а их пароли задаются в командной строке узла:
officers-role = Роль
officers-state = Состояние
officers-active = Активен
officers-disabled = Отключён
officers-disable = Отключить

## Справочники кодов
role-reader = Читатель
role-sender = Отправитель
role-admin = Администратор
kind-alert = Ориентировка
kind-feedback = Обратная связь
kind-seizure = Изъятие
kind-tracking-request = Запрос на отслеживание
kind-tracking-update = Обновление по отслеживанию
kind-tasking = Задание
kind-notice = Уведомление
kind-receipt = Квитанция
priority-flash = Молния
priority-urgent = Срочный
priority-routine = Обычный
tlp-meaning-red = Только для указанных получателей; дальнейшее распространение запрещено.
tlp-meaning-amber-strict = Только в пределах организации получателя.
tlp-meaning-amber = В пределах организации получателя и её клиентов, по принципу служебной необходимости.
tlp-meaning-green = В пределах сообщества; не для публикации.
tlp-meaning-clear = Без ограничений на распространение.
state-draft = В очереди
state-sealed = Зашифровано
state-stored = Сохранено центральным узлом
state-failed = Сбой
link-connected = Подключено
link-connecting = Подключение
link-disconnected = Отключено
link-stopped = Остановлено
grid-acknowledged = Получение подтверждено
grid-read = Прочитано
grid-delivered = Доставлено
grid-pending = Ожидается
grid-not-sealed = Не зашифровано для
grid-none = —
action-monitor = Наблюдать
action-inspect = Досмотреть
action-hold = Задержать
action-controlled-delivery = Контролируемая поставка
action-report-back = Сообщить о результатах
action-information-only = Только для сведения
outcome-inspected = Досмотрено
outcome-nothing-found = Ничего не обнаружено
outcome-seized = Изъято
outcome-not-arrived = Не прибыло
outcome-released = Выпущено
outcome-monitored = Проведено наблюдение
outcome-not-actioned = Меры не принимались
event-gate-in = Ввоз на терминал
event-loaded = Погружен
event-departed = Убыл
event-transhipped = Перегружен
event-arrived = Прибыл
event-discharged = Выгружен
event-gate-out = Вывоз с терминала
event-inspected = Досмотрен
event-seized = Изъят
event-released = Выпущен
event-not-found = Не найден
phase-planning = Планирование
phase-interdiction = Пресечение
phase-follow-up = Последующие действия
phase-reporting = Отчётность
mode-sea = Морской
mode-air = Воздушный
mode-road = Автомобильный
mode-rail = Железнодорожный
mode-postal = Почтовый
mode-other = Другой
source-A = A: полностью надёжный
source-B = B: обычно надёжный
source-C = C: достаточно надёжный
source-D = D: обычно ненадёжный
source-E = E: ненадёжный
source-F = F: надёжность невозможно оценить
grade-1 = подтверждена другими источниками
grade-2 = вероятно, достоверна
grade-3 = возможно, достоверна
grade-4 = сомнительна
grade-5 = маловероятна
grade-6 = достоверность невозможно оценить

## Названия полей (в формах — путь через точку с заменой на дефисы; в показанном содержимом — последнее имя)
field-title = Заголовок
field-summary = Краткое содержание
field-action = Запрашиваемые меры
field-containers = Контейнеры
field-conveyance = Транспортное средство
field-conveyance-mode = Вид транспорта
field-conveyance-vessel_name = Название судна
field-conveyance-imo = Номер ИМО судна
field-conveyance-voyage = Рейс
field-route = Маршрут (коды UN/LOCODE по порядку)
field-bill_of_lading = Коносамент
field-commodity = Товар
field-commodity-description = Описание товара
field-commodity-hs_code = Код ГС
field-parties = Стороны
field-parties-shipper-name = Грузоотправитель
field-parties-shipper-country = Страна грузоотправителя
field-parties-consignee-name = Грузополучатель
field-parties-consignee-country = Страна грузополучателя
field-risk_indicators = Индикаторы риска (по одному в строке)
field-grading = Оценка
field-grading-source = Оценка источника
field-grading-information = Оценка информации
field-free_text = Произвольный текст
field-alert_id = Ориентировка
field-outcome = Результат
field-details = Подробности
field-seizure_id = Сообщение об изъятии
field-seized_at = Дата изъятия
field-place = Место (UN/LOCODE)
field-place_detail = Уточнение места
field-goods = Товары
field-goods-description = Изъятые товары
field-goods-hs_code = Код ГС
field-goods-quantity = Количество
field-goods-unit = Единица измерения
field-concealment = Способ сокрытия
field-persons = Лица
field-booking = Бронирование (букинг)
field-vessel = Номер ИМО судна
field-voyage = Рейс
field-until = Отслеживать до
field-report = О каких событиях сообщать
field-remarks = Примечания
field-request_id = Запрос на отслеживание
field-container = Контейнер
field-event = Событие
field-at = Дата и время
field-instructions = Указания
field-due_by = Срок
field-ack_required = Требуется подтверждение получения
field-text = Текст
field-phase = Этап
field-description = Описание
field-hs_code = Код ГС
field-shipper = Грузоотправитель
field-consignee = Грузополучатель
field-notify_party = Уведомляемая сторона
field-name = Имя / наименование
field-address = Адрес
field-country = Страна
field-identifier = Идентификатор
field-mode = Вид транспорта
field-vessel_name = Название судна
field-imo = Номер ИМО
field-flight = Номер рейса
field-vehicle_registration = Регистрационный номер транспортного средства
field-source = Источник
field-information = Информация
field-quantity = Количество
field-unit = Единица измерения
field-commodity-hs = Код ГС
